// User view
// ---------
// Who is logged in, and a button to log out.

const View = require('views/base/view');

module.exports = View.extend({
  className: 'user',
  template: require('templates/user')
});
