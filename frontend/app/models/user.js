// User
// ----
// Who is logged in. From step 04 on, Flask writes the name into the page;
// when it does not, `GET /api/me` answers `{"username": "alice"}`.

const Chaplin = require('chaplin');

module.exports = Chaplin.Model.extend({
  // The API's "who am I?".
  url: '/api/me',

  defaults: {
    // '' until known.
    username: ''
  }
});
