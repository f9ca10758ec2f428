"""The /notifications page: the signed-in user's notifications and "mark all read"."""
