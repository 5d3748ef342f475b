// Starts ReDoc on /redoc (no inline script: the page's CSP forbids them).
(function () {
  "use strict";
  var element = document.getElementById("redoc");
  Redoc.init(element.getAttribute("data-openapi-url"), { hideDownloadButton: false }, element);
})();
