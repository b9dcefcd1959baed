// User view
// ---------
// Who is logged in, and a button to log out.

const View = require('views/base/view');

module.exports = View.extend({
  className: 'user',
  // Logging out is a real form: `POST /logout`, then Flask redirects.
  template: require('templates/user')
});
