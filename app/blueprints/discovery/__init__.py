"""Following (tags, goals, questions) and the mentors directory."""
