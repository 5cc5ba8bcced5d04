/* After sign-out the login page empties the browser's exam storage. */
(function () {
  "use strict";
  if (new URLSearchParams(window.location.search).get("signed_out")) {
    Object.keys(localStorage).forEach(function (k) { if (k.indexOf("exam-") === 0) { localStorage.removeItem(k); } });
    sessionStorage.clear();
  }
})();
