// Phone pages: count down to each deadline once a second (a static file: the CSP allows no inline script).
(function () {
  "use strict";
  var clocks = document.querySelectorAll(".countdown[data-due]");
  if (!clocks.length) { return; }
  var words = document.documentElement.lang.indexOf("zh") === 0
    ? { left: "剩余 ", late: "已超时 " } : { left: "left ", late: "late " };
  function show() {
    var now = Date.now();
    clocks.forEach(function (clock) {
      var ms = Date.parse(clock.dataset.due) - now;
      var s = Math.floor(Math.abs(ms) / 1000);
      var text = (s >= 3600 ? Math.floor(s / 3600) + ":" : "") +
        ("0" + Math.floor((s % 3600) / 60)).slice(-2) + ":" + ("0" + (s % 60)).slice(-2);
      clock.textContent = (ms < 0 ? words.late : words.left) + text;
      clock.classList.toggle("late", ms < 0);
    });
  }
  show();
  setInterval(show, 1000);
})();
