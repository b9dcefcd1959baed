// Items
// -----
// The list of items, newest first as the server sends it.

const _ = require('underscore');
const Chaplin = require('chaplin');
const Item = require('models/item');

const Items = Chaplin.Collection.extend({
  model: Item,
  url: '/api/items/',

  // The API wraps the list: `{"items": [...]}`.
  parse(response) {
    return response.items;
  },

  // Fetch, keeping the sync state up to date: the list view shows "Loading…"
  // while syncing and "No items yet" only once synced.
  fetch(options) {
    this.beginSync();
    return Chaplin.Collection.prototype.fetch.call(this, options)
      .done(() => this.finishSync())
      .fail(() => this.unsync());
  }
});

_.extend(Items.prototype, Chaplin.SyncMachine);

module.exports = Items;
