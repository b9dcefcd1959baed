// User view
// ---------
// Who is logged in, and a button to log out.

const View = require('views/base/view');

module.exports = View.extend({
  // A small block in the header.
  className: 'user',
  // Rendered from the `User`.
  template: require('templates/user')
});
