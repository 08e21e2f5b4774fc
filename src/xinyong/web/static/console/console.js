// The consoles' one script: a batch page follows its progress until the batch is complete.
// Without it the page still works: its "refresh" link shows the stored progress.
(function () {
  "use strict";
  var box = document.getElementById("progress");
  if (!box || box.getAttribute("data-done") === "yes") { return; }
  var url = box.getAttribute("data-progress-url");
  var bar = document.getElementById("bar");
  var text = document.getElementById("progress-text");
  function poll() {
    fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (p) {
        if (!p) { return; }
        if (p.total) { bar.max = p.total; }
        bar.value = p.rows;
        text.textContent = p.total ? p.rows + " / " + p.total : String(p.rows);
        if (p.done) { window.location.reload(); } else { window.setTimeout(poll, 1000); }
      })
      .catch(function () { window.setTimeout(poll, 3000); });
  }
  window.setTimeout(poll, 500);
}());
