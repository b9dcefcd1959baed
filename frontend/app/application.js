// Application
// -----------
// Chaplin's `Application` starts the router, the dispatcher (which runs the
// controller action matching the URL) and the layout. We add what every part
// of the app shares, on Chaplin's mediator.

const Chaplin = require('chaplin');
const session = require('lib/session');
const {recordSyncs} = require('lib/conversation');
const Exchanges = require('models/exchanges');
const Step = require('models/step');

module.exports = Chaplin.Application.extend({
  // Watch for expired sessions, and record the conversation with the API,
  // before the first request goes out.
  initialize(options) {
    session.redirectToLoginOnUnauthorized();
    this.exchanges = recordSyncs(new Exchanges());
    Chaplin.Application.prototype.initialize.call(this, options);
  },

  // Put the shared models on the mediator, before Chaplin seals it. Flask
  // writes them into `<body>`:
  //
  //     <body data-step="04" data-step-title="…" data-features="items login"
  //           data-username="alice">
  initMediator() {
    const data = document.body.dataset;
    Chaplin.mediator.step = new Step({
      number: data.step,
      title: data.stepTitle,
      features: data.features.split(' ')
    });
    // From step 04 on, Flask serves the page only after a login: when the
    // step has logins, the name is always there.
    Chaplin.mediator.user = new Chaplin.Model({username: data.username});
    // Every request and its answer, for the conversation panel.
    Chaplin.mediator.exchanges = this.exchanges;
    Chaplin.Application.prototype.initMediator.call(this);
  }
});
