// Items view
// ----------
// The list: one `ItemView` per item, kept in step with the collection by
// Chaplin's `CollectionView` (added, removed, reordered).

const Chaplin = require('chaplin');
const View = require('views/base/view');
const ItemView = require('views/item_view');

module.exports = Chaplin.CollectionView.extend({
  // `editable` (does the API allow changes?) is taken from the options.
  optionNames: Chaplin.CollectionView.prototype.optionNames.concat(['editable']),
  // Render on creation, like our other views.
  autoRender: true,
  // Compiled templates, as in our base view.
  getTemplateFunction: View.prototype.getTemplateFunction,
  template: require('templates/items'),

  // The view of each item.
  itemView: ItemView,
  // Where the item views go.
  listSelector: '#items',
  // Shown when the list is empty (once fetched).
  fallbackSelector: '.items-empty',
  // Shown while fetching.
  loadingSelector: '.items-loading',
  // Items appear at once: Chaplin fades them in for 0.5 s by default.
  animationDuration: 0,

  // A failed fetch says so.
  listen: {
    'unsynced collection': 'showLoadError'
  },

  // Pass `editable` on to each item's view.
  initItemView(model) {
    return new this.itemView({autoRender: false, model, editable: this.editable});
  },

  // The list could not be fetched.
  showLoadError() {
    this.$('.items-error').prop('hidden', false);
  }
});
