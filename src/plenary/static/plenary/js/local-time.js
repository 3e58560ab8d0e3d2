// Shows each consultation time also in the reader's own time zone, as the browser knows it.
(function () {
  "use strict";
  function show() {
    var zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
    var lang = document.documentElement.lang || "en";
    var day = new Intl.DateTimeFormat(lang, {weekday: "long", day: "numeric", month: "long", year: "numeric", hour: "2-digit", minute: "2-digit", hourCycle: "h23"});
    var clock = new Intl.DateTimeFormat(lang, {hour: "2-digit", minute: "2-digit", hourCycle: "h23"});
    document.querySelectorAll(".viewer-time[data-utc]").forEach(function (el) {
      var text = day.format(new Date(el.dataset.utc));
      if (el.dataset.until) { text += "–" + clock.format(new Date(el.dataset.until)); }
      el.textContent = el.dataset.label + " (" + zone + "): " + text;
      el.hidden = false;
    });
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", show); } else { show(); }
})();
