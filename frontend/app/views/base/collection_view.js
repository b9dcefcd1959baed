// Base collection view
// --------------------
// Chaplin's `CollectionView` with our base `View`'s settings: rendered on
// creation, from a compiled template.

const Chaplin = require('chaplin');
const View = require('views/base/view');

module.exports = Chaplin.CollectionView.extend({
  autoRender: true,
  getTemplateFunction: View.prototype.getTemplateFunction,
  // Items appear at once: Chaplin fades them in for 0.5 s by default.
  animationDuration: 0
});
