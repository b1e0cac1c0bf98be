// Streamer Companion overlay pages: one script for every page, no build step, no framework.
//
// The page's name is <body data-page="...">. The script opens one WebSocket to the app
// (/overlay/ws?page=NAME), renders the snapshot it gets on connect and every message
// after it, and clears the page the moment the socket closes, so nothing stale stays on
// stream while the app is away; it then reconnects by itself with a growing delay.
//
// Every text that comes from the app (viewer names, redemption input, titles) is
// untrusted and goes into the page through textContent only, never as HTML.
//
// URL options (all optional): font_size (px), color, accent, background (colours as
// hex with or without '#', or a CSS colour name), goals (ids or types), rewards (ids or
// titles), result_seconds (prediction/poll), max (queue). See companion/overlay/server.py.
'use strict';

(function () {
  const page = document.body.dataset.page;
  const root = document.getElementById('overlay');
  const params = new URLSearchParams(window.location.search);

  // What the browser tests read: connection state and when each message was rendered.
  const status = {
    page: page,
    connected: false,
    seq: 0,
    renderedAt: {}, // seq -> Date.now() just after the DOM changed
    alertsShown: 0,
    connects: 0,
  };
  window.__overlay = status;

  // --- options ----------------------------------------------------------------------

  function numberOption(name, fallback, min, max) {
    const raw = params.get(name);
    if (raw === null || raw.trim() === '') return fallback;
    const value = Number(raw);
    if (!Number.isFinite(value)) return fallback;
    return Math.min(max, Math.max(min, value));
  }

  function colorOption(name, fallback) {
    const raw = (params.get(name) || '').trim();
    // Only plain hex colours and colour names: a value never reaches CSS as anything else.
    if (/^#?([0-9a-f]{3}|[0-9a-f]{4}|[0-9a-f]{6}|[0-9a-f]{8})$/i.test(raw)) {
      return raw.charAt(0) === '#' ? raw : '#' + raw;
    }
    if (/^[a-z]{3,30}$/i.test(raw)) return raw;
    return fallback;
  }

  function listOption(name) {
    const raw = params.get(name);
    if (raw === null) return null;
    const items = raw
      .split(',')
      .map((item) => item.trim().toLowerCase())
      .filter((item) => item !== '');
    return items.length ? items : null;
  }

  const style = document.documentElement.style;
  if (params.has('font_size')) style.setProperty('--font-size', numberOption('font_size', 28, 8, 200) + 'px');
  for (const [option, variable] of [['color', '--text'], ['accent', '--accent'], ['background', '--panel']]) {
    const value = colorOption(option, null);
    if (value !== null) style.setProperty(variable, value);
  }
  const resultSeconds = numberOption('result_seconds', 15, 0, 3600);
  const goalFilter = listOption('goals');
  const rewardFilter = listOption('rewards');
  const queueMax = Math.round(numberOption('max', 5, 1, 50));

  function matches(filter, ...keys) {
    if (filter === null) return true;
    return keys.some((key) => typeof key === 'string' && filter.includes(key.toLowerCase()));
  }

  // --- small DOM helpers (text only) ---------------------------------------------------

  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function setText(node, text) {
    const value = String(text);
    if (node.textContent !== value) node.textContent = value;
  }

  const numberFormat = new Intl.NumberFormat('en-US');
  function fmt(value) {
    return numberFormat.format(Number(value) || 0);
  }

  function clock(secondsLeft) {
    const total = Math.max(0, Math.ceil(secondsLeft));
    const minutes = Math.floor(total / 60);
    const seconds = total % 60;
    return minutes + ':' + String(seconds).padStart(2, '0');
  }

  // A list of labelled bars keyed by id, updated in place so a changed value animates
  // (the fill's width has a CSS transition) instead of being redrawn from nothing.
  function renderBars(container, items) {
    const existing = new Map();
    for (const child of Array.from(container.children)) existing.set(child.dataset.key, child);
    let previous = null;
    for (const item of items) {
      let row = existing.get(item.key);
      if (row === undefined) {
        row = el('div', '');
        row.dataset.key = item.key;
        const head = el('div', 'row-head');
        head.append(el('span', 'row-title'), el('span', 'row-value'));
        const bar = el('div', 'bar');
        bar.append(el('div', 'bar-fill'));
        row.append(head, bar);
      }
      existing.delete(item.key);
      row.className = 'row ' + (item.className || '');
      setText(row.querySelector('.row-title'), item.title);
      setText(row.querySelector('.row-value'), item.value);
      const width = (Math.max(0, Math.min(1, item.fraction || 0)) * 100).toFixed(2) + '%';
      row.querySelector('.bar-fill').style.setProperty('width', width);
      const wanted = previous === null ? container.firstChild : previous.nextSibling;
      if (row !== wanted) container.insertBefore(row, wanted);
      previous = row;
    }
    for (const stale of existing.values()) stale.remove();
  }

  // --- pages ------------------------------------------------------------------------

  const GOAL_LABELS = {
    follow: 'Follower goal',
    follower: 'Follower goal',
    subscription: 'Sub goal',
    subscription_count: 'Sub goal',
    new_subscription: 'New sub goal',
    new_subscription_count: 'New sub goal',
    new_bit: 'Bits goal',
    new_cheerer: 'Cheerer goal',
  };

  const goalsPage = {
    list: null,
    render(message) {
      const goals = (message.goals || []).filter((goal) => matches(goalFilter, goal.id, goal.type));
      if (!goals.length) {
        this.clear();
        return;
      }
      if (this.list === null || !this.list.isConnected) {
        root.replaceChildren();
        this.list = el('div', 'goals');
        root.append(this.list);
      }
      renderBars(
        this.list,
        goals.map((goal) => ({
          key: goal.id,
          className: 'goal goal-' + String(goal.type).replace(/[^a-z_]/gi, ''),
          title: goal.description || GOAL_LABELS[goal.type] || 'Goal',
          value: fmt(goal.current) + ' / ' + fmt(goal.target),
          fraction: goal.target > 0 ? goal.current / goal.target : 0,
        })),
      );
    },
    clear() {
      this.list = null;
      root.replaceChildren();
    },
  };

  // Prediction and poll share a card: title, a status line (time left, locked, result)
  // and one bar per outcome or choice. An ended one stays for result_seconds.
  function contestPage(kind) {
    return {
      card: null,
      timer: null,
      hideTimer: null,
      current: null,
      render(message) {
        const contest = message[kind];
        this.current = contest;
        window.clearTimeout(this.hideTimer);
        if (!contest) {
          this.clear();
          return;
        }
        if (contest.ended_at !== null && contest.ended_at !== undefined) {
          const left = contest.ended_at + resultSeconds - Date.now() / 1000;
          if (left <= 0) {
            this.clear();
            return;
          }
          this.hideTimer = window.setTimeout(() => this.clear(), left * 1000);
        }
        if (this.card === null || !this.card.isConnected || this.card.dataset.id !== contest.id) {
          root.replaceChildren();
          this.card = el('section', 'card ' + kind);
          this.card.dataset.id = contest.id;
          this.card.append(el('div', 'card-title'), el('div', 'card-status'), el('div', 'rows'));
          root.append(this.card);
        }
        setText(this.card.querySelector('.card-title'), contest.title);
        this.card.classList.toggle('ended', contest.ended_at !== null && contest.ended_at !== undefined);
        renderBars(this.card.querySelector('.rows'), kind === 'prediction' ? predictionRows(contest) : pollRows(contest));
        this.tick();
        window.clearInterval(this.timer);
        if (contest.status === 'ACTIVE' && contest.ends_at) {
          this.timer = window.setInterval(() => this.tick(), 250);
        }
      },
      tick() {
        const contest = this.current;
        if (!contest || this.card === null) return;
        let text;
        if (contest.status === 'ACTIVE') {
          text = contest.ends_at ? clock(contest.ends_at - Date.now() / 1000) + ' left' : 'Open';
        } else if (contest.status === 'LOCKED') {
          text = 'Locked';
        } else if (contest.status === 'CANCELED') {
          text = 'Canceled';
        } else {
          text = 'Result';
        }
        setText(this.card.querySelector('.card-status'), text);
      },
      clear() {
        window.clearInterval(this.timer);
        window.clearTimeout(this.hideTimer);
        this.card = null;
        root.replaceChildren();
      },
    };
  }

  function predictionRows(prediction) {
    const outcomes = prediction.outcomes || [];
    const total = outcomes.reduce((sum, outcome) => sum + (outcome.points || 0), 0);
    return outcomes.map((outcome) => {
      const share = total > 0 ? outcome.points / total : 0;
      let className = 'outcome outcome-' + String(outcome.color).toLowerCase().replace(/[^a-z]/g, '');
      if (prediction.winning_outcome_id) {
        className += outcome.id === prediction.winning_outcome_id ? ' winner' : ' loser';
      }
      return {
        key: outcome.id,
        className: className,
        title: outcome.title,
        value: fmt(outcome.points) + ' pts · ' + fmt(outcome.users) + ' · ' + Math.round(share * 100) + '%',
        fraction: share,
      };
    });
  }

  function pollRows(poll) {
    const choices = poll.choices || [];
    const total = choices.reduce((sum, choice) => sum + (choice.votes || 0), 0);
    const ended = poll.ended_at !== null && poll.ended_at !== undefined;
    const best = Math.max(0, ...choices.map((choice) => choice.votes || 0));
    return choices.map((choice) => {
      const share = total > 0 ? choice.votes / total : 0;
      let className = 'choice';
      if (ended && best > 0) className += choice.votes === best ? ' winner' : ' loser';
      return {
        key: choice.id,
        className: className,
        title: choice.title,
        value: fmt(choice.votes) + ' · ' + Math.round(share * 100) + '%',
        fraction: share,
      };
    });
  }

  // Alerts: one at a time, in arrival order, each for its own duration.
  const ALERT_GAP_MS = 300;
  const ALERT_BACKLOG = 100;
  const alertsPage = {
    waiting: [],
    timer: null,
    showing: false,
    render(message) {
      if (message.type !== 'alert') return; // the snapshot carries no state
      const alert = message.alert;
      if (!alert.test && !matches(rewardFilter, alert.reward_id, alert.reward_title)) return;
      // A burst beyond the backlog drops its oldest waiting alerts rather than keep the
      // stream busy for minutes with redemptions long gone.
      if (this.waiting.length >= ALERT_BACKLOG) this.waiting.shift();
      this.waiting.push(alert);
      if (!this.showing) this.next();
    },
    next() {
      const alert = this.waiting.shift();
      if (alert === undefined) {
        this.showing = false;
        return;
      }
      this.showing = true;
      const box = el('section', 'card alert' + (alert.test ? ' test' : ''));
      box.dataset.id = alert.id;
      const title = el('div', 'alert-title');
      title.append(el('span', 'alert-viewer', alert.viewer), el('span', 'alert-verb', ' redeemed '), el('span', 'alert-reward', alert.reward_title));
      box.append(title);
      if (alert.user_input) box.append(el('div', 'alert-input', alert.user_input));
      if (alert.test) box.append(el('div', 'alert-test-label', 'Test alert'));
      root.replaceChildren(box);
      status.alertsShown += 1;
      const duration = Math.max(500, Number(alert.duration_ms) || 5000);
      this.timer = window.setTimeout(() => {
        root.replaceChildren();
        this.timer = window.setTimeout(() => this.next(), ALERT_GAP_MS);
      }, duration);
    },
    clear() {
      window.clearTimeout(this.timer);
      this.waiting = [];
      this.showing = false;
      root.replaceChildren();
    },
  };

  const queuePage = {
    render(message) {
      const items = (message.queue || []).filter((item) => matches(rewardFilter, item.reward_title));
      if (!items.length) {
        this.clear();
        return;
      }
      const ticker = el('div', 'card ticker');
      ticker.append(el('span', 'ticker-count', items.length + ' waiting'));
      for (const item of items.slice(0, queueMax)) {
        const entry = el('span', 'ticker-item');
        entry.append(el('span', 'ticker-viewer', item.viewer), el('span', 'ticker-reward', item.reward_title));
        if (item.user_input) entry.append(el('span', 'ticker-input', item.user_input));
        ticker.append(entry);
      }
      if (items.length > queueMax) ticker.append(el('span', 'ticker-more', '+' + (items.length - queueMax)));
      root.replaceChildren(ticker);
    },
    clear() {
      root.replaceChildren();
    },
  };

  const pages = {
    goals: goalsPage,
    prediction: contestPage('prediction'),
    poll: contestPage('poll'),
    alerts: alertsPage,
    queue: queuePage,
  };
  const view = pages[page];
  if (view === undefined) return;

  // --- the connection -----------------------------------------------------------------

  const FIRST_RETRY_MS = 250;
  const LAST_RETRY_MS = 3000;
  let retryMs = FIRST_RETRY_MS;
  const RENDERED_KEPT = 200;
  let renderedOrder = [];

  function connect() {
    const socket = new WebSocket('ws://' + window.location.host + '/overlay/ws?page=' + encodeURIComponent(page));
    socket.onopen = () => {
      retryMs = FIRST_RETRY_MS;
      status.connected = true;
      status.connects += 1;
    };
    socket.onmessage = (event) => {
      let message;
      try {
        message = JSON.parse(event.data);
      } catch (error) {
        return;
      }
      if (message === null || typeof message !== 'object' || message.page !== page) return;
      view.render(message);
      status.seq = message.seq;
      status.renderedAt[message.seq] = Date.now();
      // Only the latest few: a source stays open for a whole stream.
      renderedOrder.push(message.seq);
      if (renderedOrder.length > RENDERED_KEPT) delete status.renderedAt[renderedOrder.shift()];
    };
    socket.onclose = () => {
      // Nothing stale on stream: whatever was shown goes now, and comes back with the
      // next snapshot once the app answers again.
      status.connected = false;
      status.renderedAt = {};
      renderedOrder = [];
      view.clear();
      const delay = retryMs * (0.8 + Math.random() * 0.4);
      retryMs = Math.min(LAST_RETRY_MS, retryMs * 2);
      window.setTimeout(connect, delay);
    };
  }

  connect();
})();
