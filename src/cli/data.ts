import type { CommandModule } from 'yargs';
import { UserError } from '../util/errors.js';

const command: CommandModule = {
  command: 'data',
  describe: '(under construction)',
  handler: () => {
    throw new UserError('data is not built yet');
  },
};
export default command;
