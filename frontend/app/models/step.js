// Step
// ----
// The workshop step that served the page. One build of the front end works
// with every step: it shows only what the step's API can do, its `features`:
// `items` (GET /api/items/), `login` (sessions), `edit` (POST, PUT, PATCH
// and DELETE on /api/items/).
//
//     {"number": "04", "title": "Session login with bcrypt and two decorators",
//      "features": ["items", "login"]}

const Chaplin = require('chaplin');

module.exports = Chaplin.Model.extend({
  // Does this step's API offer `feature`?
  hasFeature(feature) {
    return this.get('features').includes(feature);
  }
});
