// Items view
// ----------
// The list: one `ItemView` per item, kept in step with the collection by
// Chaplin's `CollectionView` (added, removed, reordered).

const Chaplin = require('chaplin');
const View = require('views/base/view');
const ItemView = require('views/item_view');

module.exports = Chaplin.CollectionView.extend({
  optionNames: Chaplin.CollectionView.prototype.optionNames.concat(['editable']),
  // A `CollectionView`, not our base `View`: the same two settings again.
  autoRender: true,
  getTemplateFunction: View.prototype.getTemplateFunction,
  template: require('templates/items'),

  itemView: ItemView,
  listSelector: '#items',
  // Shown only once the list is fetched and empty.
  fallbackSelector: '.items-empty',
  loadingSelector: '.items-loading',
  // Items appear at once: Chaplin fades them in for 0.5 s by default.
  animationDuration: 0,

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
