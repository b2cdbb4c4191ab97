import type { CommandModule } from 'yargs';
import { UserError } from '../util/errors.js';

const command: CommandModule = {
  command: 'evaluate',
  describe: '(under construction)',
  handler: () => {
    throw new UserError('evaluate is not built yet');
  },
};
export default command;
