// An export's status page: follow the worker's progress, and reload once the
// job has finished or failed (the page then shows the link or the error).
// A static file, not inline script, so the CSP needs no exception.
(function () {
  "use strict";
  var progress = document.getElementById("export-progress");
  if (!progress) { return; }
  var state = document.getElementById("export-state").dataset.state;
  var poll = function () {
    fetch(progress.dataset.url, { credentials: "same-origin" })
      .then(function (r) { return r.json(); })
      .then(function (data) {
        progress.value = data.percent;
        document.getElementById("export-percent").textContent = data.percent + "%";
        document.getElementById("state-label").textContent = data.label;
        document.getElementById("rows-done").textContent = data.rows_done;
        document.getElementById("rows-total").textContent = data.rows_total || "–";
        if (data.state !== state && data.state !== "running") { window.location.reload(); }
        else { state = data.state; setTimeout(poll, 1000); }
      })
      .catch(function () { setTimeout(poll, 3000); });
  };
  poll();
})();
