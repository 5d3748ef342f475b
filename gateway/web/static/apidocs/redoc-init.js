// Starts ReDoc on /redoc (no inline script: the page's CSP forbids them), without the
// telemetry ReDoc 3 would otherwise send to its vendor (the CSP would refuse it anyway).
(function () {
  "use strict";
  var element = document.getElementById("redoc");
  import(element.getAttribute("data-redoc")).then(function (redoc) {
    redoc.init(element.getAttribute("data-openapi-url"), { disableTelemetry: true }, element);
  });
})();
