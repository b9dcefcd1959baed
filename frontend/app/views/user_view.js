// User view
// ---------
// Who is logged in, and a button to log out.

const session = require('lib/session');
const View = require('views/base/view');

module.exports = View.extend({
  // A small block in the header.
  className: 'user',
  // Rendered from the `User`.
  template: require('templates/user'),

  // Render again when the name arrives from `GET /api/me`.
  listen: {
    'change model': 'render'
  },

  // The template also needs the login page's address.
  getTemplateData() {
    return Object.assign(View.prototype.getTemplateData.call(this), {
      loginUrl: session.loginUrl()
    });
  }
});
