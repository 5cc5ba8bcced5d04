/* The result page: nothing of the exam is kept in the browser's storage. */
(function () {
  "use strict";
  Object.keys(localStorage).forEach(function (k) { if (k.indexOf("exam-") === 0) { localStorage.removeItem(k); } });
  sessionStorage.clear();
  var button = document.getElementById("print-slip");
  if (button) { button.addEventListener("click", function () { window.print(); }); }
})();
