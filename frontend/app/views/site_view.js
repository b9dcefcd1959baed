// Site view
// ---------
// The page frame, kept from one action to the next: the step banner, a slot
// for who is logged in and a slot for the page's content.

const View = require('views/base/view');

module.exports = View.extend({
  // Added to `<body>`, before the page's scripts.
  container: 'body',
  containerMethod: 'prepend',
  // The frame's element.
  id: 'site',
  // The slots other views fill: `new UserView({region: 'user'})`.
  regions: {
    user: '#user',
    main: '#main'
  },
  // The model is the `Step`.
  template: require('templates/site')
});
