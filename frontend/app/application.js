// Application
// -----------
// Chaplin's `Application` starts the router, the dispatcher (which runs the
// controller action matching the URL) and the layout. We add what every part
// of the app shares, on Chaplin's mediator.

const Chaplin = require('chaplin');
const session = require('lib/session');
const Step = require('models/step');
const User = require('models/user');

module.exports = Chaplin.Application.extend({
  // Start the app: watch for expired sessions before the first request.
  initialize(options) {
    session.redirectToLoginOnUnauthorized();
    Chaplin.Application.prototype.initialize.call(this, options);
  },

  // Put the shared models on the mediator, before Chaplin seals it. Flask
  // writes them into `<body>`:
  //
  //     <body data-step="04" data-step-title="…" data-features="items login"
  //           data-username="alice">
  initMediator() {
    const data = document.body.dataset;
    // Which workshop step served the page, and what its API can do.
    Chaplin.mediator.step = new Step({
      number: data.step,
      title: data.stepTitle,
      features: (data.features || '').split(' ').filter(Boolean)
    });
    // Who is logged in ('' when the page does not say).
    Chaplin.mediator.user = new User({username: data.username || ''});
    Chaplin.Application.prototype.initMediator.call(this);
  }
});
