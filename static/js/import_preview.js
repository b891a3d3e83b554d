// An import's preview page: follow the worker's progress, and ask
// before an undo. A static file, not inline script, so the CSP needs no exception.
(function () {
  "use strict";
  var progress = document.getElementById("import-progress");
  if (progress) {
    var status = document.getElementById("batch-status").dataset.status;
    var poll = function () {
      fetch(progress.dataset.url, { credentials: "same-origin" })
        .then(function (r) { return r.json(); })
        .then(function (data) {
          progress.value = data.percent;
          document.getElementById("import-percent").textContent = data.percent + "%";
          document.getElementById("status-label").textContent = data.label;
          if (data.status !== status) { window.location.reload(); }
          else { setTimeout(poll, 500); }
        })
        .catch(function () { setTimeout(poll, 2000); });
    };
    poll();
  }
  var undo = document.getElementById("undo-form");
  if (undo) {
    undo.addEventListener("submit", function (event) {
      if (!window.confirm(undo.dataset.confirm)) { event.preventDefault(); }
    });
  }
})();
