from django_tasks import task

from . import reminders


@task()
def send_reminders(ballot_id: int) -> int:
    return reminders.remind(ballot_id)
