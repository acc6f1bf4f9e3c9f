/** The number and address translation step kinds (book chapter 8): dialplan, pdt, alias_db, speeddial. */
import type { StepKind } from '../steps/step-kind.js';
import { aliasDbKind } from './alias-db-step.js';
import { dialplanKind } from './dialplan-step.js';
import { pdtKind } from './pdt-step.js';
import { speedDialKind } from './speed-dial-step.js';

export const TRANSLATE_KINDS: readonly StepKind[] = [dialplanKind, pdtKind, aliasDbKind, speedDialKind];
