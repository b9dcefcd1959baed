// Entry point
// -----------
// `app.js` ends with `require('initialize')` (`modules.autoRequire` in
// `brunch-config.js`); `index.html` loads it at the end of `<body>`, once the
// body and its `data-*` attributes are there.

const $ = require('jquery');
const Backbone = require('backbone');

// Backbone finds jQuery by itself only as a global, which Brunch's modules are
// not: hand it over before any view is built or any request is sent.
Backbone.$ = $;

const Application = require('application');
const routes = require('routes');

new Application({
  routes,
  // Every link on the page (`/login`, …) leaves the app: let the browser
  // follow it, not Chaplin's router.
  routeLinks: false
});
