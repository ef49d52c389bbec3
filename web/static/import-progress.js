// The import page follows its import: it reads the import's status every second, moves the
// progress bar and the counts, and shows the whole page again once the import has finished
// (its report and the rejected rows then appear).
(function () {
  "use strict";
  var bar = document.getElementById("import-progress");
  if (!bar || !bar.getAttribute("data-status")) {
    return;
  }
  var url = bar.getAttribute("data-status");
  function set(id, value) {
    var el = document.getElementById(id);
    if (el && el.textContent !== String(value)) {
      el.textContent = String(value);
    }
  }
  function tick() {
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (res) {
        if (!res.ok) {
          throw new Error("status " + res.status);
        }
        return res.json();
      })
      .then(function (s) {
        bar.value = s.percent;
        bar.setAttribute("aria-valuenow", String(s.percent));
        set("import-percent", s.percent + "%");
        set("import-state", s.state);
        set("import-rows", s.rows_done);
        set("count-created", s.counts.created);
        set("count-updated", s.counts.updated);
        set("count-unchanged", s.counts.unchanged);
        set("count-rejected", s.counts.rejected);
        if (s.finished) {
          window.location.reload();
          return;
        }
        window.setTimeout(tick, 1000);
      })
      .catch(function () {
        window.setTimeout(tick, 3000);
      });
  }
  window.setTimeout(tick, 1000);
})();
