/**
 * The admin commands on the bus: `sipmesh.admin.v1.router.<command>` (any one router, queue group)
 * and `sipmesh.admin.v1.routers.<router-id>.<command>` (that router), as every service serves its
 * commands (serveAdminCommandsOnBus in the runtime).
 */
import { ROUTER_ADMIN_QUEUE, subjects } from '@sipmesh/contracts';
import { serveAdminCommandsOnBus, type Bus } from '@sipmesh/runtime';
import type { RouterApp } from '../app.js';
import { ADMIN_COMMANDS } from './admin-commands.js';

export function serveAdminOnBus(bus: Bus, routerId: string, router: RouterApp): () => void {
  return serveAdminCommandsOnBus(bus, { any: subjects.routerAdmin, instance: (command) => subjects.routerInstanceAdmin(routerId, command), queue: ROUTER_ADMIN_QUEUE }, ADMIN_COMMANDS, router);
}
