// Step
// ----
// The workshop step that served this page. Flask writes it into `<body>`:
//
//     <body data-step="04" data-step-title="…" data-features="items login"
//           data-username="alice">
//
// One build of the front end works with every step: it only shows what the
// step's API can do.

const Chaplin = require('chaplin');

const Step = Chaplin.Model.extend({
  defaults: {
    // "01" … "05".
    number: '',
    // The step's title, as in the page title.
    title: '',
    // What the API offers: `items` (GET /api/items/), `login` (sessions),
    // `edit` (POST, PUT, PATCH, DELETE on /api/items/).
    features: [],
    // The logged-in user's name, '' when none or unknown.
    username: ''
  },

  // Does this step's API offer `feature`?
  hasFeature(feature) {
    return this.get('features').includes(feature);
  }
}, {
  // Read the step from `<body>`'s `data-*` attributes.
  fromPage(body) {
    const data = body.dataset;
    return new Step({
      number: data.step || '',
      title: data.stepTitle || '',
      features: (data.features || '').split(' ').filter(Boolean),
      username: data.username || ''
    });
  }
});

module.exports = Step;
