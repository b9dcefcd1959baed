// Site view
// ---------
// The page frame, kept from one action to the next: the step banner and the
// regions the other views fill.

const View = require('views/base/view');

module.exports = View.extend({
  // Added to `<body>`, before the page's scripts.
  container: 'body',
  containerMethod: 'prepend',
  id: 'site',
  // Named slots: `new UserView({region: 'user'})` lands in `.user-region`.
  regions: {
    user: '.user-region',
    form: '.form-region',
    main: '.main-region',
    conversation: '.conversation-region'
  },
  template: require('templates/site')
});
