// Items view
// ----------
// The list: one `ItemView` per item, kept in step with the collection by
// Chaplin's `CollectionView` (added, removed, reordered).

const CollectionView = require('views/base/collection_view');
const ItemView = require('views/item_view');

module.exports = CollectionView.extend({
  optionNames: CollectionView.prototype.optionNames.concat(['editable']),
  // Chaplin fills the template's `#items` and shows its messages.
  template: require('templates/items'),

  itemView: ItemView,
  listSelector: '#items',
  // Shown only once the list is fetched and empty.
  fallbackSelector: '.items-empty',
  loadingSelector: '.items-loading',

  // `Items#fetch` unsyncs the collection when the fetch fails.
  listen: {
    'unsynced collection': 'showLoadError'
  },

  // Pass `editable` on to each item's view.
  initItemView(model) {
    return new this.itemView({autoRender: false, model, editable: this.editable});
  },

  showLoadError() {
    this.$('.items-error').prop('hidden', false);
  }
});
