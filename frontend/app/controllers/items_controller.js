// Items controller
// ----------------
// The one page of the app: the list of items, as much of it as the step's API
// can do.

const Chaplin = require('chaplin');
const SiteView = require('views/site_view');

module.exports = Chaplin.Controller.extend({
  // Before any action: the page frame, created once and kept.
  beforeAction() {
    this.reuse('site', SiteView, {model: Chaplin.mediator.step});
  },

  // `/`: the items.
  index() {
  }
});
