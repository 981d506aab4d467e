import { type AttackOptions, attack } from './abuse-attack.ts';

// The attacker of the abuse benchmark, in a process of its own: told {type: 'attack', options} over IPC, it sends
// the forged requests (abuse-attack.ts) and answers {type: 'attacked', results, maxInFlight}.

process.on('message', async (message: { type: string; options?: AttackOptions }) => {
  if (message.type === 'attack' && message.options) {
    const { results, maxInFlight } = await attack(message.options);
    process.send?.({ type: 'attacked', results, maxInFlight });
  } else if (message.type === 'close') process.exit(0);
});

process.send?.({ type: 'ready' });
