import type { CommandModule } from 'yargs';
import { UserError } from '../util/errors.js';

const command: CommandModule = {
  command: 'train',
  describe: '(under construction)',
  handler: () => {
    throw new UserError('train is not built yet');
  },
};
export default command;
