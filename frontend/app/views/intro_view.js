// Intro view
// ----------
// What the page shows while the step has no items API yet (step 01).

const View = require('views/base/view');

module.exports = View.extend({
  className: 'intro',
  template: require('templates/intro')
});
