// Chaplin as a Brunch module
// --------------------------
// `node_modules/chaplin/chaplin.js` is a prebuilt bundle that Brunch copies as
// it is (`npm.static` in `brunch-config.js`). Its first lines look for an AMD
// loader: `if (typeof define === 'function' && define.amd) define(deps,
// factory)`. This file, loaded just before it, offers such a `define` for that
// one call: it registers the factory as the Brunch module `chaplin`, built
// from Brunch's own modules for its `deps` (`backbone`, `underscore`), and
// removes itself at once, so that no other library takes Brunch for an AMD
// loader. The factory runs on the first `require('chaplin')`, when `define`
// is gone: Chaplin then loads controllers with Brunch's `require` too.
(function () {
  'use strict';

  window.define = function (deps, factory) {
    delete window.define;
    require.register('chaplin', function (exports, require, module) {
      module.exports = factory.apply(null, deps.map(function (name) {
        return require(name);
      }));
    });
  };
  window.define.amd = {};
})();
