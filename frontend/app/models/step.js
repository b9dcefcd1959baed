// Step
// ----
// The workshop step that served the page. One build of the front end works
// with every step: it shows only what the step's API can do.

const Chaplin = require('chaplin');

module.exports = Chaplin.Model.extend({
  defaults: {
    // "01" … "05".
    number: '',
    // The step's title, as in the page's title.
    title: '',
    // What the API offers: `items` (GET /api/items/), `login` (sessions,
    // /api/me), `edit` (POST, PUT, PATCH and DELETE on /api/items/).
    features: []
  },

  // Does this step's API offer `feature`?
  hasFeature(feature) {
    return this.get('features').includes(feature);
  }
});
