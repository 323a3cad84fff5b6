// Preload (`node -r ./scripts/cpu-profile.js …`): profiles the whole process with the V8 inspector and writes
// CPU_PROFILE (a .cpuprofile for Chrome DevTools or speedscope) when SIGINT/SIGTERM arrives. `node --cpu-prof`
// writes nothing when a signal ends the process, which is how the bench stops the service.
const inspector = require('node:inspector');
const fs = require('node:fs');
const session = new inspector.Session();
session.connect();
session.post('Profiler.enable');
session.post('Profiler.setSamplingInterval', { interval: 500 });
session.post('Profiler.start');
const stop = () => {
  session.post('Profiler.stop', (err, { profile }) => {
    if (!err) fs.writeFileSync(process.env.CPU_PROFILE, JSON.stringify(profile));
    process.exit(0);
  });
};
process.prependOnceListener('SIGINT', stop);
process.prependOnceListener('SIGTERM', stop);
