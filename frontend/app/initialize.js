// Entry point
// -----------
// `index.html` runs `require('initialize')` at the end of the page, once the
// body and its `data-*` attributes are there.

const $ = require('jquery');
const Backbone = require('backbone');

// Backbone looks for jQuery as a global, which Brunch's modules are not: hand
// it over before any view or `fetch` needs it.
Backbone.$ = $;

const Application = require('application');
const routes = require('routes');

new Application({
  // Shown in the tab while the page has no better title (index.html has one).
  title: document.title,
  // The URL routes: see `routes.js`.
  routes,
  // Every link on the page (`/login`, …) leaves the app: let the browser
  // follow it instead of Chaplin's router.
  routeLinks: false
});
