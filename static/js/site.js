// Progressive enhancement only: every page works without this file.
(function () {
  "use strict";
  // On the settings form, offer the browser's own time zone when none was chosen yet.
  var tz = document.getElementById("profile-timezone");
  if (tz && tz.value === "UTC" && window.Intl) {
    var local = Intl.DateTimeFormat().resolvedOptions().timeZone;
    var hint = document.createElement("button");
    hint.type = "button";
    hint.className = "link-button";
    hint.textContent = "Use my time zone (" + local + ")";
    hint.addEventListener("click", function () { tz.value = local; tz.focus(); });
    if (local && Array.prototype.some.call(tz.options, function (o) { return o.value === local; })) {
      tz.insertAdjacentElement("afterend", hint);
    }
  }
})();
