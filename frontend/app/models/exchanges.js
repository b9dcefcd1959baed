// Exchanges
// ---------
// The conversation so far: every request `Backbone.sync` sent since the page
// was loaded, newest first (`lib/conversation.js` adds each at the top).

const Chaplin = require('chaplin');
const Exchange = require('models/exchange');

module.exports = Chaplin.Collection.extend({
  model: Exchange
});
