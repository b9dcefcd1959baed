// Application
// -----------
// Chaplin's `Application` starts the router, the dispatcher (which runs the
// controller action matching the URL) and the layout. We add the objects
// every part of the app shares, on Chaplin's mediator.

const Chaplin = require('chaplin');
const Step = require('models/step');

module.exports = Chaplin.Application.extend({
  // Put the shared objects on the mediator, before Chaplin seals it.
  initMediator() {
    // Which workshop step serves this page, and what its API can do.
    Chaplin.mediator.step = Step.fromPage(document.body);
    Chaplin.Application.prototype.initMediator.call(this);
  }
});
