"""A toy process kept outside `processes/`: one approval task, to show that a process is one folder.

Installed by the test that uses it (``processes.catalog.add_folder``); never part of the product.
"""
from forms.validate import N_
from processes.usecases.kinds import Labels, ProcessKind


class ToyApproval(ProcessKind):
    key = "toy_approval"
    start_role = "employee"
    lane_roles = {"Approver": "mcd_head"}
    labels = Labels(title=N_("Toy approval"), description=N_("Ask the head of MCD to approve a toy request."),
                    tasks={"Task_Approve": N_("Approve the toy request")},
                    outcomes={"approved": N_("Toy approved"), "rejected": N_("Toy rejected")},
                    decisions={"approve": N_("Approve"), "reject": N_("Reject")})
    order = 99

    def clause(self, task_name: str) -> str | None:
        return "§0.1 (toy)"


KIND = ToyApproval()
