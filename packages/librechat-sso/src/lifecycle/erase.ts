import type { Model, Mongoose } from 'mongoose';

/**
 * The data a LibreChat user leaves behind, and its removal for `lifecycle.onDelete: delete`.
 *
 * The list is LibreChat's own: `config/delete-user.js` of v0.8.7 (the operator's "delete a user
 * and all related data" script), which removes through data-schemas' models exactly these
 * documents, then takes the user out of every group. We do the same through the models of the
 * mongoose instance LibreChat itself uses, so a schema change in LibreChat is followed here.
 *
 * Contract:
 * - Only models that this data-schemas release defines, with the path that names the user, are
 *   touched; an older release without, say, `MemoryEntry` simply has none of that data. Which
 *   models were missing is reported.
 * - Transactions (token usage, the billing history) are kept unless asked for, as the script
 *   keeps them unless its operator answers yes.
 * - Stored file contents (local uploads, S3, Azure, Firebase) are NOT removed: neither the script
 *   nor data-schemas can reach LibreChat's file storage. The file records go (as in the script)
 *   and their number is reported, so an operator knows what storage to clean.
 * - Idempotent: running it twice removes nothing the second time. With `dryRun` it only counts.
 * - The user document itself is not touched here; the caller removes it last, so an erase that
 *   fails half-way is finished by the retry (the user, and so its id, are still there).
 */
export interface EraseReport {
  /** Documents removed (or that would be), by model name; only models with at least one. */
  removed: Record<string, number>;
  /** Groups the user was taken out of (or would be). */
  groups: number;
  /** File records removed whose stored contents stay in LibreChat's file storage. */
  filesInStorage: number;
  /** Models this data-schemas release does not define (nothing of them to remove). */
  absent: string[];
}

/**
 * Model, and the path that names the user, as in LibreChat v0.8.7's config/delete-user.js.
 * `Session` is not here: the caller ends sessions first through data-schemas'
 * `deleteAllUserSessions` (and says how many in `sessions`).
 */
export const USER_DATA: ReadonlyArray<readonly [model: string, path: string]> = [
  ['Action', 'user'],
  ['Agent', 'author'],
  // The script says `user` here, a path this schema does not have (its deleteMany matches
  // nothing); LibreChat's in-app account deletion (deleteAllAgentApiKeys) uses `userId`.
  ['AgentApiKey', 'userId'],
  ['Assistant', 'user'],
  ['Balance', 'user'],
  ['ConversationTag', 'user'],
  ['Conversation', 'user'],
  ['Message', 'user'],
  ['File', 'user'],
  ['Key', 'userId'],
  ['MemoryEntry', 'userId'],
  ['PluginAuth', 'userId'],
  ['Prompt', 'author'],
  ['PromptGroup', 'author'],
  ['Preset', 'user'],
  ['SharedLink', 'user'],
  ['ToolCall', 'user'],
  ['Token', 'userId'],
];

export async function eraseUserData(
  mongoose: Mongoose,
  user: Record<string, unknown>,
  opts: { transactions: boolean; dryRun: boolean },
): Promise<EraseReport> {
  const uid = String(user._id);
  const models = mongoose.models as Record<string, Model<any>>;
  const report: EraseReport = { removed: {}, groups: 0, filesInStorage: 0, absent: [] };
  // The script filters by the id as a string and lets each schema cast it; ACL entries name
  // their principal by ObjectId.
  const targets: Array<[string, Record<string, unknown>]> = USER_DATA.map(([m, p]) => [m, { [p]: uid }]);
  targets.push(['AclEntry', { principalId: user._id }]);
  if (opts.transactions) targets.push(['Transaction', { user: uid }]);

  for (const [name, filter] of targets) {
    const model = models[name];
    // A filter on a path the schema lacks would be dropped under strictQuery, and an empty
    // filter removes everyone's documents: such a model counts as absent, never as "all".
    if (!model || Object.keys(filter).some((p) => !model.schema.path(p))) {
      report.absent.push(name);
      continue;
    }
    const n = opts.dryRun ? await model.countDocuments(filter) : ((await model.deleteMany(filter)).deletedCount ?? 0);
    if (n > 0) report.removed[name] = n;
  }
  report.filesInStorage = report.removed.File ?? 0;

  const Group = models.Group;
  if (!Group) report.absent.push('Group');
  else if (opts.dryRun) report.groups = await Group.countDocuments({ memberIds: uid });
  else report.groups = (await Group.updateMany({ memberIds: uid }, { $pullAll: { memberIds: [uid] } })).modifiedCount ?? 0;
  return report;
}
