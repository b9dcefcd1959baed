// Pitfall switches
// ----------------
// Settings the conversation panel can flip while the app runs, to watch a
// pitfall happen. Each switch starts as the correct app has it, and a reload
// puts it back: nothing is stored.
//
// * `feature`: the step feature it needs (see `models/step.js`);
// * `correct`: its value in the correct app;
// * `isOn()`, `turn(on)`: read and change the running app;
// * `note`: what the page does differently while it is not `correct`.

const Backbone = require('backbone');
const Item = require('models/item');

module.exports = [
  {
    name: 'id-attribute',
    label: 'idAttribute: "_id"',
    feature: 'edit',
    correct: true,
    isOn: () => Item.prototype.idAttribute === '_id',
    // Backbone's own default comes back from `Backbone.Model.prototype`.
    turn(on) {
      Item.prototype.idAttribute = on ? '_id' : Backbone.Model.prototype.idAttribute;
    },
    note: 'Off: items look for Backbone\'s default "id", so every item looks new. Saving one POSTs it ' +
      'to /api/items/ instead of PUTting it to its own URL (step 05 refuses the _id with a 400), ' +
      'and Delete only takes it off the page.'
  },
  {
    name: 'emulate-http',
    label: 'Backbone.emulateHTTP',
    feature: 'override',
    correct: false,
    isOn: () => Backbone.emulateHTTP,
    turn(on) {
      Backbone.emulateHTTP = on;
    },
    note: 'On: PUT, PATCH and DELETE go out as a POST to the same URL, the real method in an ' +
      'X-HTTP-Method-Override header.'
  }
];
