// Step
// ----
// The workshop step that served the page. One build of the front end works
// with every step: it shows only what the step's API can do, its `features`:
// `items` (GET /api/items/), `login` (sessions), `edit` (POST, PUT, PATCH
// and DELETE on /api/items/), `override` (a POST to an item with
// X-HTTP-Method-Override, for `Backbone.emulateHTTP`).

const Chaplin = require('chaplin');

module.exports = Chaplin.Model.extend({
  hasFeature(feature) {
    return this.get('features').includes(feature);
  }
});
