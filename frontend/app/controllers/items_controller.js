// Items controller
// ----------------
// The app's one page: the items, as far as the step's API goes.

const Chaplin = require('chaplin');
const Items = require('models/items');
const SiteView = require('views/site_view');
const UserView = require('views/user_view');
const IntroView = require('views/intro_view');
const NewItemView = require('views/new_item_view');
const ItemsView = require('views/items_view');
const ConversationView = require('views/conversation_view');

module.exports = Chaplin.Controller.extend({
  // `reuse` keeps the page frame, the user and the conversation from one
  // action to the next.
  beforeAction() {
    const {step, user, exchanges} = Chaplin.mediator;
    this.reuse('site', SiteView, {model: step});
    if (step.hasFeature('login')) {
      this.reuse('user', UserView, {region: 'user', model: user});
    }
    this.reuse('conversation', ConversationView, {
      region: 'conversation',
      collection: exchanges,
      step
    });
  },

  // `/`: the list (read-only before step 05), or an explanation before the
  // API has items (step 01).
  index() {
    const {step} = Chaplin.mediator;
    if (!step.hasFeature('items')) {
      this.view = new IntroView({region: 'main'});
      return;
    }
    const editable = step.hasFeature('edit');
    this.items = new Items();
    if (editable) {
      this.form = new NewItemView({region: 'form', collection: this.items});
    }
    this.view = new ItemsView({region: 'main', collection: this.items, editable});
    this.items.fetch();
  }
});
