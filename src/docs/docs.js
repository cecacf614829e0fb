/*
 * Runs before Redoc, so that the page loads nothing from another origin.
 * Redoc's sidebar shows the Redocly logo from a CDN, which the page's
 * Content-Security-Policy (img-src 'self' data:) would refuse, with an error
 * in the console: an image given an address of another origin gets an empty
 * one instead, whose failure Redoc handles by hiding the logo. Redoc's React
 * sets an image's address both ways, as an attribute and as the property.
 */
(function () {
  'use strict';
  var setAttribute = Element.prototype.setAttribute;
  function foreign(value) {
    var url = new URL(String(value), document.baseURI);
    return url.protocol !== 'data:' && url.protocol !== 'blob:' && url.origin !== window.location.origin;
  }
  var src = Object.getOwnPropertyDescriptor(HTMLImageElement.prototype, 'src');
  HTMLImageElement.prototype.setAttribute = function (name, value) {
    if (String(name).toLowerCase() === 'src' && foreign(value)) value = 'data:,';
    return setAttribute.call(this, name, value);
  };
  Object.defineProperty(HTMLImageElement.prototype, 'src', {
    configurable: true,
    enumerable: src.enumerable,
    get: src.get,
    set: function (value) {
      src.set.call(this, foreign(value) ? 'data:,' : value);
    }
  });
})();
