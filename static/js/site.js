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

  // /ask: threads similar to the title while it is typed. Without this script the form's
  // "Check for similar threads" button asks the server for the same list.
  var form = document.querySelector("form[data-similar-url]");
  var title = form && form.querySelector("input[name=title]");
  var list = document.getElementById("similar-list");
  var status = document.getElementById("similar-status");
  if (title && list && status && window.fetch) {
    var timer = null;
    var controller = null;
    var last = title.value.trim();
    var plural = function (n, word) { return n + " " + word + (n === 1 ? "" : "s"); };
    var show = function (items) {
      list.textContent = "";
      items.forEach(function (item) {
        var li = document.createElement("li");
        var link = document.createElement("a");
        link.href = item.url;
        link.textContent = item.title;  // text, never HTML: titles are user input
        var meta = document.createElement("span");
        meta.className = "meta";
        meta.textContent = plural(item.answer_count || 0, "answer");
        li.appendChild(link);
        li.appendChild(document.createTextNode(" "));
        li.appendChild(meta);
        list.appendChild(li);
      });
      status.textContent = items.length ? plural(items.length, "similar thread") + " found."
        : "No similar threads found yet.";
    };
    var lookup = function () {
      var text = title.value.trim();
      if (text === last) { return; }
      last = text;
      if (controller) { controller.abort(); }
      controller = null;
      if (text.length < 4) { list.textContent = ""; status.textContent = ""; return; }
      controller = window.AbortController ? new AbortController() : null;
      var url = form.getAttribute("data-similar-url") + "?limit=5&text=" + encodeURIComponent(text);
      fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin",
                   signal: controller ? controller.signal : undefined })
        .then(function (response) {
          if (!response.ok) { throw new Error("HTTP " + response.status); }
          return response.json();
        })
        .then(function (body) { show(body.items || []); })
        .catch(function (error) {
          if (error.name !== "AbortError") { last = ""; }  // let the next keystroke retry
        });
    };
    title.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(lookup, 300);
    });
  }
})();

// Notifications: keep the nav's unread count fresh (every 60 s while the tab is visible).
// Without this script the count is simply the one the page was rendered with.
(function () {
  "use strict";
  var link = document.querySelector("a[data-notifications-url]");
  var badge = link && link.querySelector(".notification-count");
  if (!badge || !window.fetch) { return; }
  var url = link.getAttribute("data-notifications-url");
  var show = function (count) {
    var label = document.createElement("span");
    label.className = "visually-hidden";
    label.textContent = " unread";
    badge.textContent = String(count);
    badge.appendChild(label);
    badge.hidden = count === 0;
  };
  var poll = function () {
    if (document.hidden) { return; }
    fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (response) {
        if (!response.ok) { throw new Error("HTTP " + response.status); }
        return response.json();
      })
      .then(function (body) {
        if (typeof body.unread === "number" && String(body.unread) !== badge.firstChild.textContent) {
          show(body.unread);
        }
      })
      .catch(function () { /* offline or signed out: keep the last count */ });
  };
  setInterval(poll, 60000);
  document.addEventListener("visibilitychange", function () { if (!document.hidden) { poll(); } });
})();
