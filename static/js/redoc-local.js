// Redoc's sidebar footer always shows a logo from https://cdn.redoc.ly (no option turns it off).
// Loaded before Redoc: whichever way its <img> gets that src (attribute or property), the one URL is
// pointed at a local image (data-logo on this script tag), so the browser never asks another origin.
(function () {
  "use strict";
  var remote = "https://cdn.redoc.ly/redoc/logo-mini.svg";
  var local = (document.currentScript && document.currentScript.dataset.logo) || "data:,";
  function localised(value) {
    return String(value) === remote ? local : value;
  }
  var setAttribute = Element.prototype.setAttribute;
  Element.prototype.setAttribute = function (name, value) {
    return setAttribute.call(this, name, String(name).toLowerCase() === "src" ? localised(value) : value);
  };
  var src = Object.getOwnPropertyDescriptor(HTMLImageElement.prototype, "src");
  Object.defineProperty(HTMLImageElement.prototype, "src", {
    configurable: true,
    enumerable: src.enumerable,
    get: src.get,
    set: function (value) { src.set.call(this, localised(value)); },
  });
})();
