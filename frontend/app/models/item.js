// Item
// ----
// One item of the list, as the API stores it:
//
//     {"_id": "65a1…", "title": "Buy milk", "done": false,
//      "created_at": "…", "updated_at": "…"}

const Chaplin = require('chaplin');

module.exports = Chaplin.Model.extend({
  // MongoDB's key is `_id`. Backbone looks for `id` by default: without this
  // line a saved item would still look new (`isNew()`), so `save` would POST
  // it to `/api/items/` again instead of PUTting to `/api/items/<_id>`.
  idAttribute: '_id',

  // Where items live: `save` PUTs or PATCHes `/api/items/<_id>`, `destroy`
  // DELETEs it.
  urlRoot: '/api/items/',

  // No `defaults`: a new item is sent as just `{"title": …}` and the server
  // fills in the rest.

  // `created_at` in the reader's time zone, or '' if the item has none.
  createdText() {
    const created = new Date(this.get('created_at') || '');
    return isNaN(created) ? '' : created.toLocaleString();
  }
});
